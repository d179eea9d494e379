// Clustering module
