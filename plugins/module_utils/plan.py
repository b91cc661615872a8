# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: one ordered list of changes that feeds `changed`, check mode, diff mode and apply alike.

A resource's planner compares the state it read with the state the user described and appends one
Change per write it would make. The module then either reports the plan (check mode, or nothing to do)
or hands each change to the resource's appliers in order. Because all three outputs come from the same
object they cannot disagree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy


class Change:
    """One write the plan will make: an action name the applier knows, the API parameters, a sentence."""

    def __init__(self, action, summary, **params):
        self.action = action
        self.summary = summary
        self.params = params

    def __repr__(self):
        return "Change(%r, %r)" % (self.action, self.params)


class Plan:
    """Ordered changes plus the state before them and the state predicted after them."""

    def __init__(self, before):
        self.before = copy.deepcopy(before)
        self.after = copy.deepcopy(before)
        self.changes = []
        self.done = []

    def add(self, action, summary, **params):
        self.changes.append(Change(action, summary, **params))

    def __bool__(self):
        return bool(self.changes)

    __nonzero__ = __bool__

    @property
    def summaries(self):
        return [change.summary for change in self.changes]

    def diff(self):
        """The before/after pair Ansible shows in diff mode ({} stands for "does not exist")."""
        return {"before": self.before or {}, "after": self.after or {}}

    def apply(self, appliers):
        """Run each change through the applier registered for its action, in order.

        `self.done` lists the summaries applied so far, so a failure mid-way can still report what was done
        and what was not (`self.pending`).
        """
        self.done = []
        for change in self.changes:
            appliers[change.action](**change.params)
            self.done.append(change.summary)
        return self.done

    @property
    def pending(self):
        return self.summaries[len(self.done):]
