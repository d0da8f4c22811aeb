"""What a run is told: the environment (``settings``, the one place it is read), the
``paperpulse.toml`` file (``file``) and its cron check (``cron``)."""
