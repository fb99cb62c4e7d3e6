"""``init``: start a catalog repository after a plain ``pip install``."""

from freegin_gitops.services.init.starter import InitPlan, plan_init, write_init

__all__ = ["InitPlan", "plan_init", "write_init"]
