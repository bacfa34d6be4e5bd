"""The pure core: event definitions, validation, the line codec, the catalogue of what
exists, the rules, the fold and the schema. No I/O, no clock."""
