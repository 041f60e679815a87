// The ObjectStore contract against the in-memory store: default windows, and a small window so
// the Expired cases run.
import { StoreMemory } from "../src/layers/StoreMemory.js"
import { storeContract } from "../src/testing/StoreContract.js"

storeContract("StoreMemory", StoreMemory.layer)
storeContract("StoreMemory, 200-change window", StoreMemory.layerWith({ historyWindow: 200 }), { historyWindow: 200 })
