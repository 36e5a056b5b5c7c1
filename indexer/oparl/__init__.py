"""OParl 1.0/1.1 ingestion: a quirk-tolerant client, the crawler that feeds the pipeline, and
the checkpoint it resumes from."""
