"""Content NGO staff edit: country profiles and its validation."""
