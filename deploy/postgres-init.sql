-- The Prefect server keeps its own database beside paperpulse's.
CREATE DATABASE prefect OWNER paperpulse;
