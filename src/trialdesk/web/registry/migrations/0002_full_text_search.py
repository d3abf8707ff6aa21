"""Full-text search: an FTS5 table with sync triggers on SQLite; a tsvector trigger and GIN index on
PostgreSQL. Title weighs most, then conditions and interventions, then summaries.

Note for later migrations: SQLite's table rebuild (on some ALTERs) drops the triggers, so a
migration that alters registry_study must recreate them.
"""

from django.db import migrations

from trialdesk.web.registry.dbops import RunSQLFor

SQLITE = [
    "CREATE VIRTUAL TABLE registry_study_fts USING fts5("
    "title_text, summary_text, conditions_text, interventions_text, "
    "content='registry_study', content_rowid='id', tokenize='porter unicode61')",
    """
    CREATE TRIGGER registry_study_fts_ai AFTER INSERT ON registry_study BEGIN
      INSERT INTO registry_study_fts(rowid, title_text, summary_text, conditions_text,
                                     interventions_text)
      VALUES (new.id, new.title_text, new.summary_text, new.conditions_text,
              new.interventions_text);
    END
    """,
    """
    CREATE TRIGGER registry_study_fts_ad AFTER DELETE ON registry_study BEGIN
      INSERT INTO registry_study_fts(registry_study_fts, rowid, title_text, summary_text,
                                     conditions_text, interventions_text)
      VALUES ('delete', old.id, old.title_text, old.summary_text, old.conditions_text,
              old.interventions_text);
    END
    """,
    """
    CREATE TRIGGER registry_study_fts_au AFTER UPDATE ON registry_study BEGIN
      INSERT INTO registry_study_fts(registry_study_fts, rowid, title_text, summary_text,
                                     conditions_text, interventions_text)
      VALUES ('delete', old.id, old.title_text, old.summary_text, old.conditions_text,
              old.interventions_text);
      INSERT INTO registry_study_fts(rowid, title_text, summary_text, conditions_text,
                                     interventions_text)
      VALUES (new.id, new.title_text, new.summary_text, new.conditions_text,
              new.interventions_text);
    END
    """,
    "INSERT INTO registry_study_fts(registry_study_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER registry_study_fts_au", "DROP TRIGGER registry_study_fts_ad",
    "DROP TRIGGER registry_study_fts_ai", "DROP TABLE registry_study_fts",
]

POSTGRES = [
    """
    CREATE FUNCTION registry_study_search_vector() RETURNS trigger AS $$
    BEGIN
      NEW.search_vector :=
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.title_text, '')), 'A') ||
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.conditions_text, '')), 'B') ||
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.interventions_text, '')), 'B') ||
        setweight(to_tsvector('pg_catalog.english', coalesce(NEW.summary_text, '')), 'C');
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER registry_study_search_vector BEFORE INSERT OR UPDATE ON registry_study "
    "FOR EACH ROW EXECUTE FUNCTION registry_study_search_vector()",
    "CREATE INDEX registry_study_search_gin ON registry_study USING GIN (search_vector)",
    "UPDATE registry_study SET title_text = title_text",
]
POSTGRES_REVERSE = [
    "DROP INDEX registry_study_search_gin",
    "DROP TRIGGER registry_study_search_vector ON registry_study",
    "DROP FUNCTION registry_study_search_vector()",
]


class Migration(migrations.Migration):
    dependencies = (("registry", "0001_initial"),)

    operations = (
        RunSQLFor("sqlite", SQLITE, SQLITE_REVERSE),
        RunSQLFor("postgresql", POSTGRES, POSTGRES_REVERSE),
    )
