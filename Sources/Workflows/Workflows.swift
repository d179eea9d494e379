// Workflows module
