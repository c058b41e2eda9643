{% macro cents_to_euros(column) -%}
    round(cast({{ column }} as double) / 100, 2)
{%- endmacro %}
