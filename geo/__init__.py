"""SIAP Wisata core: workspace I/O, travel network, access, readiness, priorities, steps.

See the README section "Layout" for which module owns what.
"""
