-- A council's name as a join key across publishers: CQC may write "Bristol" where ONS writes
-- "Bristol, City of"; "&" and "and", case, punctuation and a trailing "Council" vary too.
{% macro council_name_key(name_expr) -%}
    regexp_replace(
        regexp_replace(
            replace(lower(trim({{ name_expr }})), '&', 'and'),
            '(, (city|county) of$|^(city|county) of | council$)', '', 'g'
        ),
        '[^a-z0-9]', '', 'g'
    )
{%- endmacro %}
