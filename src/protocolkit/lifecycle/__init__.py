"""A protocol's life: approvals bound to its content hash, status draft -> agreed -> published, review dates.

This package sits beside :mod:`protocolkit.export`: it reads the model and the content
hash of the canonical JSON, and writes only ``approvals.yaml`` and the protocol's status.
"""

from .approvals import APPROVALS_FILE, Approval, load_approvals, sign
from .status import LifecycleReport, lifecycle, lifecycle_findings, set_status, sharing_partners

__all__ = ["APPROVALS_FILE", "Approval", "LifecycleReport", "lifecycle", "lifecycle_findings", "load_approvals",
           "set_status", "sharing_partners", "sign"]
