"""The application's use cases: collect a run's listings, compose editions, deliver them,
publish the archive's derived files, rank "For you". Plain functions over a run ``Context``;
no Prefect (``paperpulse.flows`` wraps them) and no argument parsing (``paperpulse.cli``)."""
