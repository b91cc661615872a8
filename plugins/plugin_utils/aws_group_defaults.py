# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugin behind the collection's AWS modules: module_defaults of amazon.aws's groups reach them.

ansible-core gives a task only the defaults of the groups its own collection lists for the module
(lib/ansible/playbook/base.py `_resolve_group`, lib/ansible/executor/module_common.py
`_get_action_arg_defaults`), so a play written for amazon.aws, which sets region, endpoint and credentials once
under `group/aws` or `group/amazon.aws.aws`, would send this collection's calls elsewhere. This plugin adds
those defaults under what the task already has: the task's own arguments and `group/iamkit.ec2.aws` (merged
by ansible-core before the plugin runs) win over them, and only options the module accepts are taken.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action.normal import ActionModule as NormalActionModule
from ansible.plugins.loader import fragment_loader
from ansible.plugins.loader import module_loader
from ansible.utils.plugin_docs import get_docstring

# The groups of amazon.aws's plays, as module_defaults holds them once the play is loaded: `group/aws` is
# ansible-core's own group (lib/ansible/config/ansible_builtin_runtime.yml, extending amazon.aws.aws and
# community.aws.aws) and is stored as group/ansible.builtin.aws; the short spelling is kept for plays loaded
# without a play object.
FOREIGN_GROUPS = ("group/aws", "group/ansible.builtin.aws", "group/amazon.aws.aws")


def merged_module_defaults(module_defaults):
    """module_defaults is a list of dicts, outer scopes first; later entries win, as in ansible-core."""
    merged = {}
    for entry in module_defaults or []:
        merged.update(entry)
    return merged


def foreign_group_defaults(module_defaults):
    """The defaults the play sets for amazon.aws's groups, in the order the play gives them."""
    merged = merged_module_defaults(module_defaults)
    defaults = {}
    for key, value in merged.items():
        if key in FOREIGN_GROUPS and isinstance(value, dict):
            defaults.update(value)
    return defaults


def option_names(documented_options):
    """{name or alias: option name} for a module's documented options (its argument spec, sanity-checked)."""
    names = {}
    for name, spec in documented_options.items():
        names[name] = name
        for alias in spec.get("aliases") or []:
            names[alias] = name
    return names


def with_defaults_under(task_args, defaults, accepted):
    """task_args plus each default the module accepts (`accepted`: name or alias -> option) whose option the
    task does not set under any of its names. A task's `aws_region` keeps a group's `region` out."""
    given = set(accepted.get(name, name) for name in task_args)
    result = dict(task_args)
    for name, value in defaults.items():
        option = accepted.get(name)
        if option is None or option in given:
            continue
        result[name] = value
        given.add(option)
    return result


def module_options(action):
    """The documented options of the module behind `action` (FQCN), doc fragments included."""
    context = module_loader.find_plugin_with_context(action)
    doc = get_docstring(context.plugin_resolved_path, fragment_loader, is_module=True)[0] or {}
    return doc.get("options") or {}


class AwsGroupDefaultsAction(NormalActionModule):
    """Runs the module as ansible-core's `normal` action does, with amazon.aws's group defaults merged in."""

    def run(self, tmp=None, task_vars=None):
        defaults = foreign_group_defaults(self._task.module_defaults)
        if defaults:
            # Read only when a play sets such defaults: most runs pay nothing for this plugin.
            action = getattr(self._task, "resolved_action", None) or self._task.action
            defaults = self.templated(defaults, task_vars)
            self._task.args = with_defaults_under(self._task.args, defaults, option_names(module_options(action)))
        return super(AwsGroupDefaultsAction, self).run(tmp, task_vars)

    def templated(self, defaults, task_vars):
        """The defaults' templates resolved with the task's variables; an omitted value is left out."""
        omit = (task_vars or {}).get("omit")
        values = self._templar.template(defaults)
        return dict((name, value) for name, value in values.items() if omit is None or value != omit)
