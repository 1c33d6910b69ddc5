"""Repository analysis: a directory in, a Report out. No network, no database."""

from libs.analysis.engine import Listing, analyze, rescore
from libs.analysis.report import REPORT_VERSION, Report

__all__ = ["REPORT_VERSION", "Listing", "Report", "analyze", "rescore"]
