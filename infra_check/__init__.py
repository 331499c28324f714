"""``make infra-check``: infra/*.bicep held against Azure's own resource type definitions.

The type definitions are ../shared/azure-types (bicep-types-az); the parser
(:mod:`infra_check.bicep`) reads the Bicep subset infra/ is written in, the
check (:mod:`infra_check.check`) reports findings as values, and the command
(``python -m infra_check``) adds checkov and, where installed, ``bicep build``.
"""
