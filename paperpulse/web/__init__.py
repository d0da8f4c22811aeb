"""The reader's side on the web (``paperpulse web``): one-click unsubscribe, signed like / not
for me links, the manage page, and the archive to browse and search. Stateless: everything
lives in the database, so several replicas can serve behind a proxy."""
