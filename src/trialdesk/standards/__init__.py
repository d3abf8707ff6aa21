"""Data standards: ClinicalTrials.gov API v2 study records, FHIR R4 ResearchStudy, related trials.

Pure Python (no Django): the web registry and the command line both build on it.
"""
