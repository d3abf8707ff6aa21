"""CDISC SDTM and ADaM datasets, SAS transport v5 files and define.xml 2.1 (issue 21).

Plain Python: builders turn plain records (``records``) into pandas frames in the
implementation guides' order and naming (``spec``); ``xpt`` writes them within the v5 limits,
``define`` describes them. The web layer gathers the records and decides the allocation.
"""
