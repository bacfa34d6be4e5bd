"""The append path: names to ids, checks and retries (`recorder`); bulk import
(`importer`)."""
