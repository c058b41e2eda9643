{#-
  Materializations for DuckDB writing through an Iceberg REST catalog attach. The DuckDB compute
  plugin ships them and the compiler adds them to every product's dbt project, so a plain dbt
  project runs unchanged.

  DuckDB's Iceberg attach cannot CREATE OR REPLACE or rename a table created in the same
  transaction, which dbt's stock `table` materialization relies on. This one creates the table
  on first run and afterwards replaces its rows in ONE transaction (delete + insert by name),
  which is one Iceberg commit: readers see the old snapshot until it lands, snapshot history is
  kept, and a run killed midway leaves the table as it was.

  The attach cannot hold views either, and `view` is dbt's default materialization: a view
  model is built the same way, as a table (the compiler says so when it compiles).
-#}
{% macro floe_duckdb_replace_table() %}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set existing = adapter.get_relation(database=this.database, schema=this.schema,
                                          identifier=this.identifier) -%}
  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {% if existing is none %}
    {% call statement('main') -%}
      create table {{ target_relation }} as ({{ sql }})
    {%- endcall %}
  {% else %}
    {{ floe_duckdb_add_new_columns(target_relation, existing) }}
    {% call statement('main') -%}
      delete from {{ target_relation }};
      insert into {{ target_relation }} by name ({{ sql }})
    {%- endcall %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do adapter.commit() %}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{#-
  Schema evolution: a column the model now selects and the table lacks is added to the table
  first (an Iceberg schema change: no data file is rewritten, older rows read null). Dropping a
  column or changing a type is refused at compile time, so only additions reach this point.
-#}
{% macro floe_duckdb_add_new_columns(target_relation, existing) %}
  {%- set have = [] -%}
  {%- for column in adapter.get_columns_in_relation(existing) -%}
    {%- do have.append(column.name | lower) -%}
  {%- endfor -%}
  {%- set wanted = run_query("describe select * from (" ~ sql ~ ")") -%}
  {%- for row in wanted.rows if row['column_name'] | lower not in have -%}
    {{ log("floe: " ~ target_relation ~ " gains column " ~ row['column_name'] ~ " "
           ~ row['column_type'] ~ " (schema evolution)", info=True) }}
    {% call statement('floe_add_column_' ~ loop.index) -%}
      alter table {{ target_relation }} add column {{ adapter.quote(row['column_name']) }}
        {{ row['column_type'] }}
    {%- endcall %}
  {%- endfor -%}
{% endmacro %}

{#-
  Partition evolution: a model's partition_by (one Iceberg transform or a list, e.g.
  ['day(reading_at)']; [] for none) becomes its table's partition spec, as the SQL of the
  pre-hook (and the post-hook, for the write that created the table) floe adds to every model.
  DuckDB reuses the spec id when the spec is unchanged, so repeating it costs nothing; a new
  spec applies to data written from then on, and files written before keep the spec they were
  written under. No partition_by: the spec is left as it is.
-#}
{% macro floe_duckdb_partition_spec() %}
  {%- set spec = config.get('partition_by') -%}
  {%- if spec is none or model.resource_type != 'model' -%}{{ return('') }}{%- endif -%}
  {%- set existing = adapter.get_relation(database=this.database, schema=this.schema,
                                          identifier=this.identifier) -%}
  {%- if existing is none -%}{{ return('') }}{%- endif -%}
  {%- set fields = [spec] if spec is string else spec -%}
  {%- if fields | length == 0 -%}
    {{ return('alter table ' ~ existing ~ ' reset partitioned by') }}
  {%- endif -%}
  {{ return('alter table ' ~ existing ~ ' set partitioned by (' ~ fields | join(', ') ~ ')') }}
{% endmacro %}

{% materialization table, adapter='duckdb' %}
  {{ return(floe_duckdb_replace_table()) }}
{% endmaterialization %}

{% materialization view, adapter='duckdb' %}
  {{ return(floe_duckdb_replace_table()) }}
{% endmaterialization %}
