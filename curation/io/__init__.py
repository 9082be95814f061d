"""Everything that touches disk: readers of raw inputs, atomic Parquet writers."""
