module owncast-plugin-runtime.local/owncastplugins

go 1.19
