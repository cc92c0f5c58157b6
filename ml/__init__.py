"""Framework-free research code. Nothing under ml/ imports Django, Celery or the web apps."""
