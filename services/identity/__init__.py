"""Identity: AWS-side user records for Firebase users, profiles, and roles as custom claims."""
