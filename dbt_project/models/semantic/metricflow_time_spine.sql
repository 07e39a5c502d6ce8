-- The day spine MetricFlow needs (dbt's semantic layer): one row per day over every send
-- date the warehouse can hold.
{{ days_between("'2015-01-01'", "'2035-12-31'") }}
