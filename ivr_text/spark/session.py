"""A Spark session for the toolkit's Spark engine (``--engine spark``), with one clear line when it cannot start.

``spark_session(master, conf)`` returns the active session or builds one: ``master`` (default ``local[*]``; under
``spark-submit`` the submitted ``--master`` unless one is given),
``conf`` as ``key=value`` strings or a mapping. Workers run this very Python (``PYSPARK_PYTHON`` is set to
``sys.executable`` unless already set), so pyarrow, pandas and ``ivr_text`` are the driver's. Arrow is enabled
for pandas exchange. A missing PySpark or Java is an :class:`~ivr_text.errors.InputError` saying how to
install it — never a Py4J traceback.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Iterable, Mapping

from ivr_text.errors import InputError, UsageError

DEFAULT_MASTER = "local[*]"
#: Settings every session gets unless the caller gives its own.
DEFAULT_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.sql.execution.pyspark.udf.faulthandler.enabled": "true",
}

INSTALL_PYSPARK = 'the Spark engine needs PySpark 4: pip install "ivr-text[spark]"'
INSTALL_JAVA = ("the Spark engine needs Java 17: apt-get install openjdk-17-jre-headless (or set JAVA_HOME to a "
                "Java 17 installation)")


def parse_conf(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["k=v", …]`` (or a mapping) as a dict; a malformed item is a usage error."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--spark-conf {item!r}: use key=value, e.g. spark.sql.shuffle.partitions=64")
        out[key.strip()] = value.strip()
    return out


def java_available() -> bool:
    """Is a ``java`` executable reachable (``JAVA_HOME/bin/java`` or on PATH)?"""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def spark_available() -> str | None:
    """None when a Spark session can be started here, else the reason (the install line)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return INSTALL_PYSPARK
    if not java_available():
        return INSTALL_JAVA
    return None


def spark_session(master: str | None = None, conf: Iterable[str] | Mapping[str, str] | None = None,
                  app_name: str = "ivr-text"):
    """The active Spark session, or a new one on ``master`` with ``conf`` (see the module docstring)."""
    problem = spark_available()
    if problem:
        raise InputError(problem)
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")  # pandas 3: works
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    settings = {**DEFAULT_CONF, **parse_conf(conf)}
    if active is not None:
        for k, v in parse_conf(conf).items():
            try:
                active.conf.set(k, v)
            except Exception:  # a static setting of a running session: kept as it is
                pass
        return active
    builder = SparkSession.builder.appName(app_name)
    if master or "PYSPARK_GATEWAY_PORT" not in os.environ:  # under spark-submit its --master stands
        builder = builder.master(master or DEFAULT_MASTER)
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start (Java missing or too old, bad setting)
        first = " ".join(str(exc).split())[:200]
        raise InputError(f"could not start Spark on {master or DEFAULT_MASTER}: {first}; {INSTALL_JAVA}") from None
