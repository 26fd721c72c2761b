"""Dash-side helpers of the cockpit: component ids, figures and the view controller."""
