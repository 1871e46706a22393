"""Email addresses as the service stores and compares them."""


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased; the users' unique index is on lower(email) too."""
    return email.strip().lower()
