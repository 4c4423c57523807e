"""Shared test settings: under CI (CI=true) property tests are derandomized so a run is reproducible."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (local[2], 4 shuffle partitions) for every Spark test; skipped with the install
    line when PySpark or Java is absent."""
    from ivr_text.spark.session import spark_available, spark_session

    problem = spark_available()
    if problem:
        pytest.skip(f"Spark tests skipped: {problem}")
    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4",
                                         "spark.default.parallelism": "2",
                                         "spark.driver.memory": "1g"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
