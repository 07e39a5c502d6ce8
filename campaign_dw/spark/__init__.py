"""The `spark` target: the same dbt project on Apache Spark. Everything of Spark is in this
package; the rest of the warehouse reaches it through `SparkEngine` (campaign_dw.engine).

How the pieces meet:

- Raw data (raw.py). `campaign-dw load` lands files in DuckDB as always (exactly-once ledger,
  lineage, refused files reported). ``export_raw`` then writes each load of each raw table
  once as a Parquet file under ``$CAMPAIGN_DW_SPARK_RAW/<table>/`` (all columns text plus the
  lineage columns, ``_row_id`` included), and the dbt project registers those folders as
  Parquet tables ``<prefix>_raw.<table>`` on Spark at the start of every run (macro
  register_raw_tables).
- Schemas (engine.py). One metastore may hold several warehouses: each one's schemas carry its
  prefix (``schema_prefix``: the warehouse file's name, or ``CAMPAIGN_DW_SPARK_SCHEMA_PREFIX``),
  passed to dbt as a var with the raw folder (``SparkEngine.dbt_vars``); the Python side names
  every table through ``SparkEngine.relation``.
- Spark itself (conf.py). With ``method: session`` (the default) dbt starts a local Spark
  inside its process. ``prepare`` writes a ``spark-defaults.conf`` for it (unless
  ``SPARK_CONF_DIR`` is already set): the table files and the Hive metastore live in
  ``<warehouse>_spark/``, the session time zone is UTC. For a cluster,
  ``CAMPAIGN_DW_SPARK_METHOD=thrift|http`` and the ``CAMPAIGN_DW_SPARK_*`` connection
  variables in dbt_project/profiles.yml.
- The Python checks and serving read the Spark tables through Spark SQL (sql.py: ``query``,
  ``arrow_table``): with ``method: thrift`` over the same Thrift server dbt builds on (PyHive;
  cluster.py starts one on this machine), else a Spark session in the Dagster run's process,
  configured like dbt's (or Spark Connect when ``SPARK_REMOTE`` is set).

pyspark and PyHive are optional dependencies (the `spark` extra): they are imported inside the
functions that use them, so that importing this package needs neither.

Settings: ``CAMPAIGN_DW_SPARK_RAW`` (raw Parquet folder), ``CAMPAIGN_DW_SPARK_SCHEMA_PREFIX``,
``CAMPAIGN_DW_SPARK_DRIVER_MEMORY``
(default 4g), ``CAMPAIGN_DW_SPARK_SHUFFLE_PARTITIONS`` (default 4: small data, 2 cores).
"""
