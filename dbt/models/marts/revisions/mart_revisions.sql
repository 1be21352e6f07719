-- What each publisher revision changed: per source, partition and pair of consecutive vintages, every
-- row and measure whose value differs, with the old and new values. Answers "why does our number
-- differ from the published one?" (e.g. a figure printed from NHS England's first release of a month).
-- The marts themselves always use the current (latest) vintage; this keeps the earlier ones visible.
-- One line per raw source with a row key: revision_changes(source, row key columns).
{{ config(materialized='table') }}
{%- set oaps_row_key = ['question', 'breakdown1', 'breakdown1_code', 'breakdown2', 'breakdown2_code'] %}

select * from {{ revision_changes('uec_ae_monthly', ['org_code']) }}
union all
select * from {{ revision_changes('uec_ambsys_monthly', ['org_code']) }}
union all
select * from {{ revision_changes('mh_oaps_monthly', oaps_row_key, 'mental_health') }}
