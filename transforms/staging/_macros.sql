-- helpers shared by the staging views: the same value arrives in different shapes from API v1 and v2

-- any API timestamp (v2 RFC 3339, v1 'YYYY-MM-DD HH:MM:SS' in UTC, leads with milliseconds) as a UTC timestamp
create or replace macro pipedrive_staging.utc_timestamp(raw_value) as (
    case
        when nullif(raw_value::varchar, '') is null then null
        -- 19 characters, no zone: v1's 'YYYY-MM-DD HH:MM:SS', which is UTC
        when length(raw_value::varchar) = 19 then try_cast(raw_value::varchar as timestamp)
        else try_cast(raw_value::varchar as timestamptz) at time zone 'UTC'
    end
);

-- a reference to another record: a plain id (v2), or a v1 object such as {"id": 7, ...} or {"value": 7, ...}
create or replace macro pipedrive_staging.ref_id(raw_value) as (
    case
        when raw_value is null then null
        when starts_with(ltrim(raw_value::varchar), '{')
            then coalesce(
                try_cast(json_extract_string(raw_value::varchar, '$.value') as bigint),
                try_cast(json_extract_string(raw_value::varchar, '$.id') as bigint)
            )
        else try_cast(raw_value::varchar as bigint)
    end
);

-- a boolean that v1 may send as 0/1 or "0"/"1"
create or replace macro pipedrive_staging.flag(raw_value) as (
    case lower(raw_value::varchar)
        when 'true' then true
        when '1' then true
        when 'false' then false
        when '0' then false
    end
);

-- a JSON array of ids, or a v1 comma-separated id list, as a list of bigints (empty when there are none)
create or replace macro pipedrive_staging.id_list(raw_value) as (
    case
        when nullif(trim(raw_value::varchar), '') is null then []::bigint[]
        when starts_with(ltrim(raw_value::varchar), '[')
            then from_json(raw_value::varchar, '["BIGINT"]')
        else list_transform(string_split(raw_value::varchar, ','), lambda part: trim(part)::bigint)
    end
);
