"""Pages for statisticians: sample size, group-sequential boundaries, the default trial's design
report and simulated operating characteristics (no trial data is read)."""
