"""ivr-text: call-centre text and IVR analytics for Chinese-language telecom customer service.

Library first: every CLI command is a thin shell over a function importable from here
(``ivr_text.io``, ``ivr_text.text``, ``ivr_text.complaints``, ``ivr_text.ivr``, ``ivr_text.churn``,
``ivr_text.report``). Heavy dependencies are imported lazily by the modules that need them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ivr-text")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
