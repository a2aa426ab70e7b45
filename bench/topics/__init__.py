"""Known-topic routing measured on public data: labelled sets built from eval-data, and our TOPICS files."""
