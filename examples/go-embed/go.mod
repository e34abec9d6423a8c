module owncast-plugin-runtime.local/go-embed

go 1.19

require owncast-plugin-runtime.local/owncastplugins v0.0.0

replace owncast-plugin-runtime.local/owncastplugins => ../../embed/go
