"""Databases: the DynamoDB single table and Aurora Serverless v2 PostgreSQL, in one import.

The two live in their own files (``table.py``, ``postgres.py``); this module names them together
for programs that think of "the database layer".

Example:
    from hybridstack.components.database import PostgresCluster, Table

    table = Table("data", {"ttl_attribute": "expiresAt"})
    catalog = PostgresCluster("catalog", {"database_name": "music"})
"""

from hybridstack.components.postgres import PostgresCluster, PostgresClusterArgs
from hybridstack.components.table import IndexArgs, Table, TableArgs

__all__ = ["IndexArgs", "PostgresCluster", "PostgresClusterArgs", "Table", "TableArgs"]
