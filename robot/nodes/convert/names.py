"""Identifiers in ROS names: pseudonymous ids (r-3f9a1c) contain '-', which ROS topic names forbid."""


def topic_id(identifier: str) -> str:
    """A person or voice id as it appears in a topic name: r-3f9a1c -> r_3f9a1c."""
    return identifier.replace("-", "_")
