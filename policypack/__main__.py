"""The hybridstack CrossGuard policy pack (``pulumi preview --policy-pack policypack``).

The rules live in ``hybridstack.policy``; ``hybridstack.crossguard`` turns each into a mandatory
stack validation. This file only starts the pack, as the Pulumi engine expects.
"""

from hybridstack.crossguard import serve

serve()
