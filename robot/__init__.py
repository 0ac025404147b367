"""carebot: controller software for a social companion robot in care homes."""

__version__ = "0.1.0"
