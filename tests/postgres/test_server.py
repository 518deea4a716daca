import dlt
import psycopg2


def test_dlt_loads_into_the_throwaway_server(postgres_dsn, tmp_path):
    pipeline = dlt.pipeline(
        pipeline_name="smoke",
        destination=dlt.destinations.postgres(credentials=postgres_dsn),
        dataset_name="smoke",
        pipelines_dir=str(tmp_path),
    )
    pipeline.run([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}], table_name="things")
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cursor:
        cursor.execute("select id, name from smoke.things order by id")
        assert cursor.fetchall() == [(1, "a"), (2, "b")]
