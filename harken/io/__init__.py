"""Imports and exports: pure parsing of other survey tools' files, writing them in one transaction, and
exports in CSV, XLSX and Parquet (also the incremental warehouse export)."""
