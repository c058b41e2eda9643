"""Security scanning of the platform's own code and dependencies."""
