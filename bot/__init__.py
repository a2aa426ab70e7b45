"""sitroom: a crisis early-warning bot for a company's own social-media channels."""

__version__ = "0.1.0"
