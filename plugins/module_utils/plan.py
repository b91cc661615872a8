# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: the ordered writes that take AWS from the state read to the state described.

A resource's planner adds one Step per write. Every step says how it changes the predicted state, so the
plan's `before` and `after` (what diff mode shows) move together with its steps (what `changed`, check mode
and apply use): the three cannot disagree. The engine (engine.py) is the only one that runs a plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class PlanError(Exception):
    """A planner broke the plan's rules: a programming error, never bad input."""


class Step:
    """One write: a sentence for the user, the function that makes it (call(aws, **params)), its parameters.

    `done`, `outcome` (what the call returned) and `error` (why it failed, or was not attempted) are set by
    the engine when it runs the plan.
    """

    def __init__(self, summary, call, params):
        self.summary = summary
        self.call = call
        self.params = params
        self.done = False
        self.outcome = None
        self.error = None

    def __repr__(self):
        return "Step(%r)" % self.summary


class Plan:
    """Ordered steps plus the state before them and the state predicted after them.

    `assumptions` are facts the plan relies on that do not hold yet (a role an earlier task would create):
    check mode reports them as warnings, a real run refuses before any write. `concurrency` above 1 lets
    the engine run the steps from a pool: the planner promises they are independent of each other.
    `notes` is the planner's own memo for its resource's settle and result (what it read, what it chose).
    """

    def __init__(self, before, concurrency=1):
        self.before = copy.deepcopy(before)
        self.after = copy.deepcopy(before)
        self.steps = []
        self.warnings = []
        self.assumptions = []
        self.concurrency = concurrency
        self.notes = {}

    def add(self, summary, call, after, before=None, **params):
        """Add a write. `after` changes the predicted state: a dict of keys to set, or a function taking the
        predicted state and returning the new one. `before`, for plans that show only what they touch,
        records the current value of those keys."""
        if before:
            self.before = _merged(self.before, before)
        predicted = after(copy.deepcopy(self.after)) if callable(after) else _merged(self.after, after)
        if predicted == self.after and not before:
            raise PlanError("step %r does not change the predicted state" % summary)
        self.after = predicted
        self.steps.append(Step(summary, call, params))

    def include(self, key, subplan):
        """Take another resource's plan (the role's same-name profile, the disassociations before a delete)
        as part of this one: its steps run in order after the steps so far, its states show under `key`
        (not at all when it neither changes nor shows anything)."""
        self.warnings.extend(subplan.warnings)
        self.assumptions.extend(subplan.assumptions)
        if not (subplan.steps or subplan.before or subplan.after):
            return
        self.before = _merged(self.before, {key: subplan.before})
        self.after = _merged(self.after, {key: subplan.after})
        self.steps.extend(subplan.steps)

    def assume(self, refusal, warning):
        """Plan on something that is not true yet: a real run fails with `refusal`, check mode warns."""
        self.assumptions.append((refusal, warning))

    def warn(self, message):
        self.warnings.append(message)

    @property
    def changed(self):
        return bool(self.steps)

    @property
    def summaries(self):
        return [step.summary for step in self.steps]

    def diff(self):
        """The before/after pair Ansible shows in diff mode ({} stands for "does not exist")."""
        return {"before": self.before or {}, "after": self.after or {}}


def _merged(state, patch):
    result = dict(state or {})
    result.update(copy.deepcopy(patch))
    return result
