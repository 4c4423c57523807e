"""The Spark engine (``pip install "ivr-text[spark]"``, Java 17): the heavy analyses on Spark DataFrames, with the
library's own kernels run per partition and the same result objects as the local engine.

* :mod:`ivr_text.spark.session` — the session (``--spark-master``, ``--spark-conf``) and the install hints;
* :mod:`ivr_text.spark.reading` — files, directories and ``table:db.name`` through the local schema checks;
* :mod:`ivr_text.spark.ivr` — IVR analysis (cleaning per call partition, analysis of the collected log);
* :mod:`ivr_text.spark.complaints` — tokenize and classify predict per partition, trend counts and alerts.

Not built: the churn signal on Spark, and a merge of per-partition IVR partial counts (the driver's memory still
grows with the events: see the README's "Spark and databases").
"""

from ivr_text.spark.session import parse_conf, spark_available, spark_session

__all__ = ["parse_conf", "spark_available", "spark_session"]
