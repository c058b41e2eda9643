"""The platform's services. ``local`` runs each as a real process on 127.0.0.1; ``kind`` is the
Helm chart in a Kind cluster (not runnable on machines without a container engine)."""
