"""Public trial registry: record page, related trials, search, ClinicalTrials.gov JSON."""
