{#-
  Spark writing Iceberg tables through the REST catalog. The Spark compute plugin ships these
  macros and the compiler adds them to every product's dbt project, so a product written for
  DuckDB runs on Spark with no change to its SQL or configs.

  - A view cannot be kept in the catalog here, so a view model is built as an Iceberg table,
    replaced atomically (the compiler says so when it compiles).
  - 'delete+insert' (DuckDB's incremental strategy) and an incremental model with a unique_key
    but no strategy both become 'merge', which Iceberg supports: rows with the same key are
    replaced, new ones inserted, the result the same as DuckDB's.
-#}
{% materialization view, adapter='spark' %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {{ run_hooks(pre_hooks) }}
  {% call statement('main') -%}
    create or replace table {{ target_relation }} using iceberg as {{ sql }}
  {%- endcall %}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
  {%- set strategy = raw_strategy -%}
  {%- if raw_strategy == 'delete+insert' -%}
    {%- set strategy = 'merge' -%}
  {%- elif config.get('incremental_strategy') is none and config.get('unique_key') -%}
    {%- set strategy = 'merge' -%}
  {%- endif -%}
  {% if strategy not in ['append', 'merge', 'insert_overwrite', 'microbatch'] %}
    {% do exceptions.raise_compiler_error(
      "Invalid incremental strategy for Spark on Iceberg: " ~ raw_strategy
      ~ ". Use one of 'append', 'merge', 'insert_overwrite', 'delete+insert'") %}
  {% endif %}
  {% if strategy == 'merge' and file_format not in ['delta', 'iceberg', 'hudi'] %}
    {% do exceptions.raise_compiler_error(
      "The 'merge' incremental strategy needs file_format 'iceberg' (got " ~ file_format ~ ")") %}
  {% endif %}
  {% do return(strategy) %}
{% endmacro %}
