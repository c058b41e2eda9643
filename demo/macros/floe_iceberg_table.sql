{#-
  Table materialization for DuckDB writing through an Iceberg REST catalog attach.

  DuckDB's Iceberg attach cannot CREATE OR REPLACE or rename a table created in the same
  transaction, which dbt's stock `table` materialization relies on. This one creates the table
  on first run and afterwards replaces its rows in ONE transaction (delete + insert by name),
  which is one Iceberg commit: readers see the old snapshot until it lands, snapshot history is
  kept, and a run killed midway leaves the table as it was.
-#}
{% materialization table, adapter='duckdb' %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing = adapter.get_relation(database=this.database, schema=this.schema,
                                          identifier=this.identifier) -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {% if existing is none %}
    {% call statement('main') -%}
      create table {{ target_relation }} as ({{ sql }})
    {%- endcall %}
  {% else %}
    {% call statement('main') -%}
      delete from {{ target_relation }};
      insert into {{ target_relation }} by name ({{ sql }})
    {%- endcall %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
